//! Shell completion. `artifacts completions bash|zsh|fish` prints a small
//! script that registers the binary itself as the completer (clap_complete's
//! environment-based completion): on Tab the shell runs `artifacts` with
//! [`VAR`] set and the words typed so far, and clap answers with
//! subcommands, flags and paths. Machine, home and artifact names come from
//! the flake named on the line (`--flake`, else `$ARTIFACTS_FLAKE`, else
//! `.`), read with one `nix eval` that only touches names, so no generator
//! is built or evaluated; any failure just completes nothing.

use crate::eval::flake::Flake;
use crate::eval::ScopeNames;
use clap_complete::env::{Bash, EnvCompleter, Fish, Zsh};
use clap_complete::{CompleteEnv, CompletionCandidate};
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::process::ExitCode;
use std::sync::OnceLock;

/// The variable that turns a run into a completion request. Not clap's
/// default `COMPLETE`: a variable of that common name left in someone's
/// environment would turn every run into a completion request.
const VAR: &str = "_ARTIFACTS_COMPLETE";

/// Answers a completion request and exits, when this run is one; `cli`
/// makes the command line's definition (passed in, so that this module,
/// which the definition uses for its value completers, does not use it).
pub fn complete_if_asked(cli: fn() -> clap::Command) {
    CompleteEnv::with_factory(cli).var(VAR).complete();
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// `artifacts completions SHELL`: the registration script on stdout. It
/// calls the program the way it was called here: by its path when run by
/// path (a package's `$out/bin/artifacts`, its wrapper included, so the
/// script and the completer come from one version), else by name, found
/// on `PATH` when completing.
pub fn print(shell: Shell) -> anyhow::Result<ExitCode> {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
    };
    let called = std::path::PathBuf::from(std::env::args_os().next().unwrap_or_default());
    let program = if called.components().count() > 1 {
        std::path::absolute(&called)?
    } else {
        "artifacts".into()
    };
    let mut script = Vec::new();
    completer.write_registration(
        VAR,
        "artifacts",
        "artifacts",
        &program.to_string_lossy(),
        &mut script,
    )?;
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if let Shell::Zsh = shell {
        script = script.replace(ZSH_REGISTER, ZSH_REGISTER_OR_RUN);
    }
    std::io::stdout().write_all(script.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// clap's zsh script registers its function with `compdef`, which suits
/// `source`, but zsh also autoloads `_artifacts` from `$fpath` (where
/// packages install it): then the file's body runs on the first Tab and
/// must complete, not just register.
const ZSH_REGISTER: &str = "compdef _clap_dynamic_completer_artifacts artifacts";
const ZSH_REGISTER_OR_RUN: &str = r#"if [ "$funcstack[1]" = "_artifacts" ]; then
    _clap_dynamic_completer_artifacts "$@"
else
    compdef _clap_dynamic_completer_artifacts artifacts
fi"#;

/// `--machine`/`--home` values: every machine and home name, and `shared`
/// when the flake has shared artifacts.
pub fn machine_names(current: &OsStr) -> Vec<CompletionCandidate> {
    let mut names: Vec<String> = scopes().iter().map(|s| s.name.clone()).collect();
    if scopes()
        .iter()
        .any(|s| s.artifacts.values().any(|a| a.shared))
    {
        names.push("shared".into());
    }
    matching(current, names)
}

/// `--artifact` values: the artifacts of the machines already named on the
/// line with `--machine`, else of all of them.
pub fn artifact_names(current: &OsStr) -> Vec<CompletionCandidate> {
    let chosen = &option_values(&["--machine", "--home"]);
    let names = scopes()
        .iter()
        .flat_map(|s| {
            let own = chosen.is_empty() || chosen.contains(&s.name);
            s.artifacts
                .values()
                .filter(move |a| own || (a.shared && chosen.iter().any(|c| c == "shared")))
                .map(|a| a.name.clone())
        })
        .collect();
    matching(current, names)
}

/// `show` targets: `MACHINE/ARTIFACT`, and once that is typed with a
/// slash after it, `MACHINE/ARTIFACT/FILE`. An artifact of several files
/// is offered as `MACHINE/ARTIFACT/` (`show` needs one of them named): the
/// shell then leaves the line open for the file instead of ending the word.
pub fn show_targets(current: &OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    let mut targets = Vec::new();
    for scope in scopes() {
        for artifact in scope.artifacts.values() {
            let owner = if artifact.shared {
                "shared"
            } else {
                scope.name.as_str()
            };
            let label = format!("{owner}/{}", artifact.name);
            if typed.starts_with(&format!("{label}/")) {
                targets.extend(artifact.files.iter().map(|f| format!("{label}/{f}")));
            } else if artifact.files.len() > 1 {
                targets.push(format!("{label}/"));
            } else {
                targets.push(label);
            }
        }
    }
    matching(current, targets)
}

/// The candidates starting with what is typed, sorted, without repeats.
fn matching(current: &OsStr, mut names: Vec<String>) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| n.starts_with(typed.as_ref()))
        .map(CompletionCandidate::new)
        .collect()
}

/// The flake's names, read once per completion request.
fn scopes() -> &'static [ScopeNames] {
    static NAMES: OnceLock<Vec<ScopeNames>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let flake = option_values(&["--flake"])
            .pop()
            .or_else(|| std::env::var("ARTIFACTS_FLAKE").ok())
            .unwrap_or_else(|| ".".into());
        // `--no-eval-cache` among the words typed (after the shell's `--`).
        let cache = !std::env::args_os()
            .skip_while(|a| a != "--")
            .any(|a| a == "--no-eval-cache");
        Flake::locate(&expand_home(&flake))
            .ok()
            .and_then(|flake| crate::eval::names(&flake, cache).ok())
            .unwrap_or_default()
    })
}

/// Values of `options` among the words being completed (the shell passes
/// them after `--`), as `--flag VALUE` or `--flag=VALUE`.
fn option_values(options: &[&str]) -> Vec<String> {
    let words: Vec<OsString> = std::env::args_os()
        .skip_while(|a| a != "--")
        .skip(1)
        .collect();
    let words: Vec<String> = words
        .iter()
        .map(|w| w.to_string_lossy().into_owned())
        .collect();
    let mut values = Vec::new();
    for (i, word) in words.iter().enumerate() {
        for option in options {
            if word == option {
                values.extend(words.get(i + 1).cloned());
            } else if let Some(value) = word.strip_prefix(&format!("{option}=")) {
                values.push(value.to_string());
            }
        }
    }
    values
}

/// The shell has not expanded `~` in a word still being typed.
fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => path.to_string(),
    }
}
