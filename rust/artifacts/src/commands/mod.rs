//! One file per subcommand; the shared first step (locate, evaluate once,
//! plan) lives here.

pub mod check;
pub mod generate;
pub mod list;
pub mod show;

use crate::cli::SelectArgs;
use crate::flake::Flake;
use crate::plan::{Plan, Selection};

/// Locates the flake, evaluates it once and plans the selected nodes.
pub fn plan(flake: &str, select: &SelectArgs) -> anyhow::Result<(Flake, Plan)> {
    let flake = Flake::locate(flake)?;
    let evaluation = crate::nix::evaluate(&flake.reference)?;
    let selection = Selection {
        scopes: select.machines.clone(),
        artifacts: select.artifacts.clone(),
    };
    let plan = Plan::build(&flake, &evaluation, &selection);
    if plan.nodes.is_empty()
        && plan.problems.is_empty()
        && !(select.machines.is_empty() && select.artifacts.is_empty())
    {
        anyhow::bail!(
            "no artifact matches --machine {:?} --artifact {:?}\n  hint: `artifacts list` shows every machine and artifact",
            select.machines,
            select.artifacts
        );
    }
    Ok((flake, plan))
}

/// Prints planning problems as errors.
pub fn report_problems(plan: &Plan) {
    for problem in &plan.problems {
        eprintln!("error: {problem}");
    }
}
