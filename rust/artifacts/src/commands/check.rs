//! `artifacts check`: runs nothing, changes nothing but an interrupted run's
//! leftovers; exit 0 when everything is stored, current, intact and tracked
//! by git, 1 when something needs `generate` (listed with the reason), 2 on
//! errors.

use crate::cli::SelectArgs;
use crate::plan::Status;
use crate::store::lock::IfBusy;
use std::process::ExitCode;

pub fn run(flake: &str, select: &SelectArgs) -> anyhow::Result<ExitCode> {
    let ctx = super::prepare(flake, select, "check", IfBusy::Wait)?;
    let plan = &ctx.plan;
    super::report_problems(plan);
    let pending: Vec<_> = plan
        .nodes
        .iter()
        .filter(|n| n.status != Status::UpToDate)
        .collect();
    for node in &pending {
        println!(
            "{}: {} ({})",
            node.label(),
            node.status,
            node.backend.name()
        );
    }
    if !plan.problems.is_empty() {
        return Ok(ExitCode::from(2));
    }
    if pending.is_empty() {
        println!("All {} artifacts are stored and current.", plan.nodes.len());
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} of {} artifacts need attention: run `{}`.",
        pending.len(),
        plan.nodes.len(),
        ctx.flake.command("generate")
    );
    Ok(ExitCode::from(1))
}
