//! On the target machine: `artifacts machine generate --spec FILE`, the
//! dummy backend's command. The NixOS / Home Manager unit of a dummy
//! artifact (modules/dummy-unit.nix) runs it at boot and when the
//! declaration changes; systemd sandboxes it (no network, no home, private
//! /tmp). It reads a non-secret spec ([`spec`]), runs the generator in a
//! private folder like the CLI does ([`run`]), checks it wrote exactly the
//! declared files and installs them atomically at their paths with owner,
//! group and mode ([`install`]). Nothing is stored in the flake.
//! `artifacts machine render --spec FILE` renders a template ([`render`]).

pub mod install;
pub mod render;
pub mod run;
pub mod spec;

use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// `artifacts machine …`: commands for the target machine.
#[derive(Debug, Args)]
pub struct MachineArgs {
    #[command(subcommand)]
    pub command: MachineCommand,
}

#[derive(Debug, Subcommand)]
pub enum MachineCommand {
    /// Run a dummy-backend artifact's generator and install its files at
    /// their paths (what the artifact's systemd unit runs).
    Generate(GenerateArgs),
    /// Render a template (`artifacts.templates.<name>`) from the deployed
    /// files and install it (what the template's systemd unit runs).
    Render(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The spec (JSON, written by the NixOS / Home Manager module; see
    /// docs/manifest.md, "The dummy backend's spec" and "Templates").
    #[arg(long, value_name = "FILE")]
    pub spec: PathBuf,
}

pub fn run(args: &MachineArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        MachineCommand::Generate(args) => generate(args),
        MachineCommand::Render(args) => render(args),
    }
}

fn render(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let spec = render::RenderSpec::read(&args.spec).map_err(anyhow::Error::msg)?;
    let done = render::render(&spec).map_err(|e| anyhow::anyhow!("{}: {e}", spec.what()))?;
    eprintln!("{}: {done}", spec.what());
    Ok(ExitCode::SUCCESS)
}

fn generate(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    // Interrupted (SIGTERM from systemd), the generator is killed and
    // nothing is installed; files are only ever replaced whole.
    crate::interrupt::set_phase(crate::interrupt::Phase::OnMachine);
    let spec = spec::Spec::read(&args.spec).map_err(anyhow::Error::msg)?;
    let plan = install::Plan::resolve(&spec).map_err(anyhow::Error::msg)?;
    let output = run::run(&spec).map_err(|e| anyhow::anyhow!("{}: {e}", spec.what()))?;
    if crate::interrupt::interrupted() {
        anyhow::bail!("{}: interrupted; no file was changed", spec.what());
    }
    plan.install(&output.files())
        .map_err(|e| anyhow::anyhow!("{}: {e}", spec.what()))?;
    for line in plan.describe() {
        eprintln!("{}: {line}", spec.label());
    }
    Ok(ExitCode::SUCCESS)
}
