//! nixos-artifacts: one interface for secrets and generated files in NixOS
//! and Home Manager. This library holds the CLI's logic: evaluating a flake
//! once ([`eval`]), planning ([`plan`]), asking prompts ([`prompts`]), running
//! generators in a sandbox ([`generate`], [`sandbox`]) and storing the results
//! with a [`backend`].

// The crate's `println!`, `eprintln!` and `eprint!`: std's panic
// when the reader of the output is gone; these never do ([`output`]).
// Defined before the modules, they shadow std's in all of them.
macro_rules! println {
    () => { $crate::output::stdout(format_args!("\n")) };
    ($($t:tt)*) => { $crate::output::stdout(format_args!("{}\n", format_args!($($t)*))) };
}
macro_rules! eprintln {
    () => { $crate::output::stderr(format_args!("\n")) };
    ($($t:tt)*) => { $crate::output::stderr(format_args!("{}\n", format_args!($($t)*))) };
}
macro_rules! eprint {
    ($($t:tt)*) => { $crate::output::stderr(format_args!($($t)*)) };
}

pub mod backend;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod completions;
pub mod confirm;
pub mod eval;
pub mod generate;
pub mod identities;
pub mod interrupt;
pub mod keys;
pub mod machine;
pub mod names;
pub mod output;
pub mod plan;
pub mod plugin_ui;
pub mod process;
pub mod progress;
pub mod prompts;
pub mod redact;
pub mod sandbox;
pub mod secret_dir;
pub mod store;
pub mod suggest;

use cli::{Cli, Command};
use std::process::ExitCode;

/// Runs a parsed command line; errors are printed with their hints.
pub fn run(cli: Cli) -> ExitCode {
    interrupt::install();
    progress::set_verbosity(match (cli.quiet, cli.verbose) {
        (true, _) => progress::Verbosity::Quiet,
        (_, true) => progress::Verbosity::Verbose,
        _ => progress::Verbosity::Normal,
    });
    eval::set_options(eval::Options {
        jobs: cli
            .eval_jobs
            .unwrap_or_else(|| eval::workers::default_jobs(cli.eval_max_memory)),
        spread_after: match cli.eval_jobs {
            Some(_) => None,
            None => Some(eval::workers::SPREAD_AFTER),
        },
        max_memory_mib: cli.eval_max_memory,
        cache: !cli.no_eval_cache,
    });
    // A mistyped --identity is an error before anything is evaluated, not
    // silence until (or unless) something needs decrypting.
    let given = match &cli.command {
        Command::Generate(args) => &args.identities[..],
        Command::Show(args) => &args.identities[..],
        Command::Rekey(args) => &args.identities[..],
        Command::Import(args) => &args.identities[..],
        _ => &[],
    };
    if given.is_empty()
        && matches!(
            cli.command,
            Command::Generate(_) | Command::Show(_) | Command::Rekey(_) | Command::Import(_)
        )
    {
        identities::Identities::warn_missing_env_file();
    }
    if let Err(e) = identities::Identities::check_given(given) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let result = match &cli.command {
        Command::Generate(args) => commands::generate::run(&cli.flake, args),
        Command::Check(args) => commands::check::run(&cli.flake, args),
        Command::List(args) => commands::list::run(&cli.flake, args),
        Command::Show(args) => commands::show::run(&cli.flake, args),
        Command::Rekey(args) => commands::rekey::run(&cli.flake, args),
        Command::Import(args) => commands::import::run(&cli.flake, args),
        Command::Machine(args) => machine::run(args),
        Command::Completions(args) => completions::print(args.shell),
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        ExitCode::from(2)
    })
}
