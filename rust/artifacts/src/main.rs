//! The `artifacts` command: parse, then hand over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    // A shell asking for completions gets them here, before parsing.
    artifacts::completions::complete_if_asked();
    artifacts::run(artifacts::cli::parse())
}
