//! Running `nix`: the evaluation processes (see [`super::workers`]) and one
//! batched build call, whatever the fleet size. When the flake does not
//! evaluate, the usual causes (a file git does not track, flakes not
//! available) are named with their fix above nix's own message.

use super::flake::Flake;
use super::RawEvaluation;
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
    /// `what` went wrong in one line, the `fix`, then what nix said.
    #[error("{what}\n  hint: {fix}\n  nix says:\n{}", indent(stderr))]
    Eval {
        what: String,
        fix: String,
        stderr: String,
    },
    #[error("unexpected output from nix eval: {0}")]
    Output(String),
    #[error("building generators failed:\n{stderr}\n  hint: the derivations above are generators of the artifacts being generated; fix them and run again")]
    Build { stderr: String },
}

/// Runs `cmd` to the end in a process group of its own, so a terminal's
/// Ctrl-C reaches only the CLI, which decides what to say and kills it.
pub(super) fn output_of(
    mut cmd: Command,
    program: &'static str,
) -> Result<std::process::Output, NixError> {
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

/// Runs eval.nix on `flake` in one `nix eval` process that prints one JSON
/// value; `names_only` asks for the names the shell completes and nothing
/// else.
pub fn evaluate_whole(flake: &Flake, names_only: bool) -> Result<RawEvaluation, NixError> {
    let mut cmd = nix_command("nix");
    cmd.args(["eval", "--json", "--impure", "--expr", EVAL_EXPR])
        .env("ARTIFACTS_FLAKE", &flake.reference)
        .env("ARTIFACTS_NAMES_ONLY", if names_only { "1" } else { "" })
        .env_remove("ARTIFACTS_WORKER");
    let output = output_of(cmd, "nix")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(explain(flake, &stderr));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| NixError::Output(e.to_string()))
}

/// A worker: eval.nix on `flake` for the slice `worker` describes (JSON,
/// see eval.nix), tracing one line per configuration on stderr.
pub fn worker_command(flake: &Flake, worker: &str) -> Command {
    let mut cmd = nix_command("nix");
    cmd.args(["eval", "--impure", "--expr", EVAL_EXPR])
        .env("ARTIFACTS_FLAKE", &flake.reference)
        .env("ARTIFACTS_NAMES_ONLY", "")
        .env("ARTIFACTS_WORKER", worker);
    cmd
}

/// The text eval.nix is, part of the manifest cache's key.
pub fn expression() -> &'static str {
    EVAL_EXPR
}

/// The error for a failed evaluation: the cause in one line when it is a
/// known one, the fix, and nix's message (without its "Git tree is dirty"
/// warning: the CLI's own writes make the tree dirty).
pub(super) fn explain(flake: &Flake, stderr: &str) -> NixError {
    let stderr: String = stderr
        .lines()
        .filter(|l| !(l.starts_with("warning: Git tree '") && l.ends_with("' is dirty")))
        .collect::<Vec<_>>()
        .join("\n");
    let shown = if flake.given == "." {
        flake.root.display().to_string()
    } else {
        flake.given.clone()
    };
    let (what, fix) = if let Some(file) = untracked_file(flake, &stderr) {
        let file = crate::output::shown_path(&file);
        (
            format!("{file} is not tracked by git, and Nix sees only the files git tracks in a repository"),
            format!("run `git add {file}` (it needs no commit), then run this command again"),
        )
    } else if FLAKES_UNAVAILABLE.iter().any(|m| stderr.contains(m)) {
        (
            "this nix cannot evaluate flakes (the CLI turns them on for its own runs, which needs Nix 2.4 or later)".to_string(),
            "update Nix; for `nix run` and `nix flake` also add `experimental-features = nix-command flakes` to ~/.config/nix/nix.conf".to_string(),
        )
    } else {
        (
            format!("the flake {shown} does not evaluate"),
            "fix what nix reports below, then run this command again".to_string(),
        )
    };
    NixError::Eval {
        what,
        fix,
        stderr: stderr.trim_end().to_string(),
    }
}

/// What nix says when it cannot do flakes: flakes or the `nix` command not
/// enabled (Nix 2.4 to 2.x without `--extra-experimental-features`, e.g.
/// through a wrapper), `builtins.getFlake` missing, or a Nix before 2.4.
const FLAKES_UNAVAILABLE: &[&str] = &[
    "experimental Nix feature 'flakes' is disabled",
    "experimental Nix feature 'nix-command' is disabled",
    "attribute 'getFlake' missing",
    "unrecognised flag '--extra-experimental-features'",
];

/// The file of the flake's working tree that Nix could not see because git
/// does not track it: nix 2.8 says "getting status of
/// '/nix/store/…-source/FILE': No such file or directory", later versions
/// "Path 'FILE' in the repository "…" is not tracked by Git". Only a file
/// that exists on disk counts (else it is really missing).
fn untracked_file(flake: &Flake, stderr: &str) -> Option<std::path::PathBuf> {
    flake.git.as_ref()?;
    let relative = if let Some(rest) = stderr.split("getting status of '/nix/store/").nth(1) {
        let (path, tail) = rest.split_once('\'')?;
        if !tail.starts_with(": No such file or directory") {
            return None;
        }
        path.split_once("-source/")?.1.to_string()
    } else {
        let rest = stderr.split("Path '").nth(1)?;
        let (path, tail) = rest.split_once('\'')?;
        tail.lines()
            .next()?
            .contains("is not tracked by Git")
            .then(|| path.to_string())?
    };
    let file = flake.source_root.join(relative);
    file.exists().then_some(file)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
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
