//! The command line.

use crate::completions::{artifact_names, machine_names, show_targets};
use clap::{Args, Parser, Subcommand, ValueHint};
use clap_complete::ArgValueCompleter;

/// Generate, store and check the secrets and generated files that a flake's
/// NixOS machines and Home Manager homes declare under `artifacts.store`.
#[derive(Debug, Parser)]
#[command(name = "artifacts", version)]
pub struct Cli {
    /// The flake to work on (a local path, path:… or git+file:…).
    #[arg(long, global = true, default_value = ".", env = "ARTIFACTS_FLAKE", value_hint = ValueHint::DirPath)]
    pub flake: String,
    /// Print only errors and warnings.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Show what generators print, as they print it (prompt answers
    /// replaced by `<prompt NAME>`).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// How many `nix eval` processes evaluate the configurations at once
    /// (default: the number of CPUs, fewer when memory is short).
    #[arg(long, global = true, value_name = "N", value_parser = eval_jobs)]
    pub eval_jobs: Option<usize>,
    /// Replace an evaluation process whose peak memory passes this many
    /// MiB with a fresh one for the configurations left.
    #[arg(long, global = true, value_name = "MIB", default_value_t = crate::eval::workers::DEFAULT_MAX_MEMORY_MIB, value_parser = clap::value_parser!(u64).range(1..))]
    pub eval_max_memory: u64,
    /// Evaluate the flake even when the manifest cache holds its unchanged
    /// evaluation (and do not keep this one).
    #[arg(long, global = true)]
    pub no_eval_cache: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate what is missing or stale, encrypt it and store it in the flake.
    Generate(GenerateArgs),
    /// Exit 0 when everything is stored and current, 1 when something needs
    /// generating (listed with the reason), 2 on errors. Runs nothing.
    Check(SelectArgs),
    /// Every machine's and home's artifacts with backend and status.
    List(ListArgs),
    /// Decrypt a stored file with an administrator's identity and print it.
    Show(ShowArgs),
    /// Store existing values (a plaintext file, an agenix `.age` file, a key
    /// of a sops file, a `clan vars export` folder) as declared artifacts,
    /// without running their generators.
    Import(ImportArgs),
    /// Re-encrypt stored artifacts whose recipients or backend changed (or
    /// whose metadata was lost) from their stored values, without running
    /// any generator or asking anything.
    Rekey(RekeyArgs),
    /// On the target machine: what the dummy backend's units run.
    Machine(crate::machine::MachineArgs),
    /// Print the shell completion script for bash, zsh or fish (machine
    /// and artifact names are completed from the flake).
    Completions(CompletionsArgs),
}

/// Narrowing a command to some machines/homes and artifacts.
#[derive(Debug, Args, Clone, Default)]
pub struct SelectArgs {
    /// Only this machine or home (repeatable; `--home` is the same flag;
    /// `shared` selects the shared artifacts).
    #[arg(long = "machine", visible_alias = "home", value_name = "NAME", add = ArgValueCompleter::new(machine_names))]
    pub machines: Vec<String>,
    /// Only this artifact (repeatable).
    #[arg(long = "artifact", value_name = "NAME", add = ArgValueCompleter::new(artifact_names))]
    pub artifacts: Vec<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Regenerate (rotate) the selected artifacts even if they are stored.
    /// On a terminal it lists what will be replaced and asks first.
    #[arg(long)]
    pub regenerate: bool,
    /// Do not ask before rotating with --regenerate.
    #[arg(long, short)]
    pub yes: bool,
    /// Answer a prompt: `MACHINE/ARTIFACT/PROMPT=VALUE`, or the dotted
    /// `[MACHINE/]ARTIFACT.PROMPT=VALUE` (split by the declared names).
    /// The value is visible to other local users in the process list: prefer
    /// --prompt-stdin for secrets.
    #[arg(long = "prompt", value_name = "TARGET=VALUE")]
    pub prompts: Vec<String>,
    /// Answer a prompt (TARGET as for --prompt) with all of standard
    /// input, byte for byte.
    #[arg(long = "prompt-stdin", value_name = "TARGET")]
    pub prompt_stdin: Option<String>,
    /// How many generators run at once (default: the number of CPUs).
    #[arg(long, short = 'j', value_parser = jobs)]
    pub jobs: Option<usize>,
    /// Run generators without the bubblewrap sandbox.
    #[arg(long)]
    pub no_sandbox: bool,
    /// Stop a generator that runs longer than this many seconds (0: never).
    #[arg(long, value_name = "SECONDS", default_value_t = 1800)]
    pub timeout: u64,
    /// An age identity file or OpenSSH private key (repeatable) that reads
    /// stored artifacts back: dependencies that are not regenerated,
    /// artifacts to re-encrypt for new recipients. Default:
    /// $SOPS_AGE_KEY_FILE and ~/.ssh/id_ed25519 where present.
    #[arg(long = "identity", short = 'i', value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub identities: Vec<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// `MACHINE/ARTIFACT` (one file) or `MACHINE/ARTIFACT/FILE`.
    #[arg(add = ArgValueCompleter::new(show_targets))]
    pub target: String,
    /// An age identity file or OpenSSH private key (repeatable). Default:
    /// $SOPS_AGE_KEY_FILE and ~/.ssh/id_ed25519 where present.
    #[arg(long = "identity", short = 'i', value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub identities: Vec<std::path::PathBuf>,
}

/// `artifacts import`: each TARGET is followed by its source.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  artifacts import alpha/db/password --from-file ./old-password
  artifacts import alpha/ssh/key --from-age secrets/alpha-ssh.age -i ~/.ssh/id_ed25519
  artifacts import alpha/db/password --from-sops secrets/alpha.yaml --key db/password
  artifacts import --from-folder ./clan-export")]
pub struct ImportArgs {
    /// `MACHINE/ARTIFACT/FILE` (or `shared/ARTIFACT/FILE`), each followed
    /// by its source; an artifact is imported with all its files at once.
    #[arg(value_name = "TARGET", add = ArgValueCompleter::new(show_targets))]
    pub targets: Vec<String>,
    /// The source of the TARGET before it: a plaintext file.
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub from_file: Vec<std::path::PathBuf>,
    /// The source of the TARGET before it: an age file (e.g. an agenix
    /// secret), decrypted with --identity.
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub from_age: Vec<std::path::PathBuf>,
    /// The source of the TARGET before it: one key (--key) of a sops file
    /// (YAML, JSON or binary), decrypted with --identity.
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub from_sops: Vec<std::path::PathBuf>,
    /// The key of the --from-sops file before it, as sops-nix names it
    /// (`db/password` for nested keys).
    #[arg(long, value_name = "KEY")]
    pub key: Vec<String>,
    /// A plaintext tree as `clan vars export` writes it
    /// (`per-machine/<machine>/<artifact>/<file>`, `shared/<artifact>/<file>`):
    /// every file matching a declared artifact file is imported.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath, conflicts_with_all = ["targets", "from_file", "from_age", "from_sops", "key"])]
    pub from_folder: Option<std::path::PathBuf>,
    /// Replace stored values without asking (needed when there is no terminal).
    #[arg(long, short)]
    pub yes: bool,
    /// An age identity file or OpenSSH private key (repeatable) that opens
    /// --from-age and --from-sops files. Default: $SOPS_AGE_KEY_FILE and
    /// ~/.ssh/id_ed25519 where present.
    #[arg(long = "identity", short = 'i', value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub identities: Vec<std::path::PathBuf>,
    /// The targets and sources in command-line order (filled by [`parse`]).
    #[arg(skip)]
    pub order: Vec<ImportArg>,
}

/// One target or source of `artifacts import`, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportArg {
    Target(String),
    File(std::path::PathBuf),
    Age(std::path::PathBuf),
    Sops(std::path::PathBuf),
    Key(String),
}

/// Parses the command line. `import` pairs each target with the source
/// after it, which clap's per-flag lists do not keep, so the order is
/// recovered from the argument positions.
pub fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let (Command::Import(args), Some(("import", sub))) = (&mut cli.command, matches.subcommand())
    {
        args.order = import_order(sub);
    }
    cli
}

fn import_order(matches: &clap::ArgMatches) -> Vec<ImportArg> {
    let mut order: Vec<(usize, ImportArg)> = Vec::new();
    let mut take = |id: &str, make: &dyn Fn(&std::ffi::OsStr) -> ImportArg| {
        if let (Some(indices), Some(values)) = (matches.indices_of(id), matches.get_raw(id)) {
            order.extend(indices.zip(values).map(|(i, v)| (i, make(v))));
        }
    };
    take("targets", &|v| {
        ImportArg::Target(v.to_string_lossy().into_owned())
    });
    take("from_file", &|v| ImportArg::File(v.into()));
    take("from_age", &|v| ImportArg::Age(v.into()));
    take("from_sops", &|v| ImportArg::Sops(v.into()));
    take("key", &|v| ImportArg::Key(v.to_string_lossy().into_owned()));
    order.sort_by_key(|(i, _)| *i);
    order.into_iter().map(|(_, a)| a).collect()
}

#[derive(Debug, Args)]
pub struct RekeyArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// An age identity file or OpenSSH private key (repeatable) among the
    /// artifacts' recipients. Default: $SOPS_AGE_KEY_FILE and
    /// ~/.ssh/id_ed25519 where present.
    #[arg(long = "identity", short = 'i', value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub identities: Vec<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: crate::completions::Shell,
}

/// `--jobs`: a count of generators at once, so at least one.
fn jobs(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(0) => Err("at least 1 generator must run at a time".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "`{value}` is not a number of generators (e.g. --jobs 4)"
        )),
    }
}

/// `--eval-jobs`: a count of processes, so at least one.
fn eval_jobs(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(0) => Err("at least 1 evaluation process must run".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "`{value}` is not a number of processes (e.g. --eval-jobs 2)"
        )),
    }
}
