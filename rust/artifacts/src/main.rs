//! The `artifacts` command: parse, then hand over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    // A shell asking for completions gets them here, before parsing.
    use clap::CommandFactory;
    artifacts::completions::complete_if_asked(artifacts::cli::Cli::command);
    artifacts::run(artifacts::cli::parse())
}
