//! `artifacts check`: runs nothing, changes nothing but an interrupted run's
//! leftovers; exit 0 when everything is stored, current, intact and tracked
//! by git, 1 when something needs `generate` or `rekey` (listed with the
//! reason), 2 on errors. A changed generator is reported, not counted: it
//! applies only with `--regenerate`.

use crate::cli::SelectArgs;
use crate::store::lock::IfBusy;
use std::process::ExitCode;

pub fn run(flake: &str, select: &SelectArgs) -> anyhow::Result<ExitCode> {
    let ctx = super::prepare(flake, select, "check", IfBusy::Wait)?;
    let plan = &ctx.plan;
    super::report_problems(plan);
    let mut pending = 0;
    let mut damaged = 0;
    let mut stored = 0;
    for (_, node) in plan.selected().filter(|(_, n)| !n.backend.on_machine()) {
        stored += 1;
        if !node.status.in_order() {
            pending += 1;
            println!(
                "{}: {} ({})",
                node.label(),
                node.status,
                node.backend.name()
            );
            // `generate` leaves damage alone: name what does help.
            if matches!(node.status, crate::plan::Status::Damaged { .. }) {
                damaged += 1;
                println!("  hint: {}", super::damage_hint(&ctx.flake, node));
            }
        } else if node.generator_changed {
            println!(
                "{}: generator changed since it was generated; kept (`{}` applies it)",
                node.label(),
                ctx.flake.command(&format!(
                    "generate --regenerate --machine {} --artifact {}",
                    node.scope.name, node.artifact.name
                ))
            );
        }
    }
    if !plan.problems.is_empty() {
        return Ok(ExitCode::from(2));
    }
    if pending == 0 {
        println!("All {stored} artifacts are stored and current.");
        return Ok(ExitCode::SUCCESS);
    }
    if pending > damaged {
        println!(
            "{pending} of {stored} artifacts need attention: run `{}`{}.",
            ctx.flake.command("generate"),
            if damaged > 0 {
                " (damaged ones as hinted above)"
            } else {
                ""
            }
        );
    } else {
        println!("{pending} of {stored} artifacts are damaged: see the hints above.");
    }
    Ok(ExitCode::from(1))
}
