//! The `artifacts` command: parse, then hand over to the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    artifacts::run(artifacts::cli::Cli::parse())
}
