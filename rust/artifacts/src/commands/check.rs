use crate::cli::SelectArgs;
use crate::plan::Status;
use std::process::ExitCode;

pub fn run(flake: &str, select: &SelectArgs) -> anyhow::Result<ExitCode> {
    let (_, plan) = super::plan(flake, select)?;
    super::report_problems(&plan);
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
        "{} of {} artifacts need generating: run `artifacts generate`.",
        pending.len(),
        plan.nodes.len()
    );
    Ok(ExitCode::from(1))
}
